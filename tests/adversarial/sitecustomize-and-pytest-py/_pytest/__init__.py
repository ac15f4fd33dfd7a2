# Shadows pytest's implementation package if this folder came first on sys.path.
import os
import sys

sys.stderr.write("_PYTEST-PACKAGE-RAN\n")
sys.stderr.flush()
os._exit(0)
