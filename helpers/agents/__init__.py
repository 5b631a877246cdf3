"""The agents, each readable top to bottom: environments, the Q-network, the article's loop, Trainer, DQN, tabular."""
