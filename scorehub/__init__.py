"""SCORE Hub: run SCORE programmes (training, workplace cooperation, work safety) at scale."""
