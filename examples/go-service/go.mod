module example.com/go-service

go 1.26.8

require github.com/keyward/keyward v0.0.0

require (
	github.com/hashicorp/golang-lru/v2 v2.0.7 // indirect
	golang.org/x/sync v0.24.0 // indirect
)

replace github.com/keyward/keyward => ../..
