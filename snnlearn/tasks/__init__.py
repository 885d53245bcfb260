"""Tasks: what drives a network (stimuli, trial structure, rewards), written as Brian2 code."""
