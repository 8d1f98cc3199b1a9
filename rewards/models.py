"""Reward models, training runs and the registry arrive with the reward-model issue."""
