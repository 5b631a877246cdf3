package qlearn_test

import (
	"fmt"

	"example.com/qvalue/qlearn"
)

func ExampleUpdate() {
	// Q = 1, reward 1, best next Q-value 2, alpha 0.5, gamma 0.9.
	fmt.Printf("%.2f\n", qlearn.Update(1, 1, 2, false, 0.5, 0.9))
	// The same transition, but the episode ended: no bootstrap.
	fmt.Printf("%.2f\n", qlearn.Update(1, 1, 2, true, 0.5, 0.9))
	// Output:
	// 1.90
	// 1.00
}

func ExampleArticleUpdate() {
	// The article drops a negative next value as if the episode had ended.
	fmt.Printf("%.2f %.2f\n", qlearn.ArticleUpdate(0, 0, -2, 0.5, 0.9), qlearn.Update(0, 0, -2, false, 0.5, 0.9))
	// Output: 0.00 -0.90
}
