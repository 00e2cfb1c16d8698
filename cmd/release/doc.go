// Package release holds the tests of keyward's release: the GoReleaser
// config (.goreleaser.yaml) checked against what the project promises,
// the static Linux build in a bare root, and `make install`'s tree. It has
// no code of its own; `make release-snapshot` builds the archives.
package release
