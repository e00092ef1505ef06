module github.com/bouncepolicy/bouncepolicy

go 1.25
