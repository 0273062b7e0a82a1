"""Test-time-training neural solver: formats, TTT data, per-task LoRA training, backends, inference, voting."""
