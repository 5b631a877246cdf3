"""What a learner sees: figures built from an agent's figure description, dashboards over any Steerable."""
