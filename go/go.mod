module example.com/qvalue

go 1.24
