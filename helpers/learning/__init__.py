"""Learning: environments, the article's Q-network and loop, and the agents that learn."""
