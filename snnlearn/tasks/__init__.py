"""Tasks that run inside the simulation: controller groups that watch the network and deliver reward."""
