-- Placeholder on branch accounts only: 0005 is the orgs branch's
-- migration. Migrations must be numbered without gaps, so this empty one
-- stands in for it here; on merge, orgs' 0005 replaces this file.
SELECT 1;
