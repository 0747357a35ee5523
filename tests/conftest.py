import matplotlib

# Plots in the unit tests are drawn off-screen. (Not via MPLBACKEND: an environment variable
# would leak into the notebook kernels that nbval starts and change their outputs.)
matplotlib.use("Agg")
