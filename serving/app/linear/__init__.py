"""A linear model over sparse features: scores, the probability link that turns them into probabilities,
and explanations (each feature's exact share of a score). Independent of how the features are made."""
