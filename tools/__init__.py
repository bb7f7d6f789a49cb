"""Developer tools run from the Makefile (`make alert-noise`); not part of the package."""
