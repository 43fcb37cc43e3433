module ithaca-bench-go

go 1.19
