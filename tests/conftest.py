import os

# Plots in tests are drawn off-screen.
os.environ.setdefault("MPLBACKEND", "Agg")
