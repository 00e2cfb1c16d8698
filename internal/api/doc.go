// Package api is the management API's wire format, defined once: internal/server
// writes it and internal/client reads it (as benbjohnson/wtf keeps its http
// package beside the domain). It holds how an error code travels (an HTTP
// status and a JSON body), the bodies that are not a domain type, and the
// headers keyward adds. Routes and their shapes are documented in
// internal/server/openapi.json; nothing here does I/O.
package api
