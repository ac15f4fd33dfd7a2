# Shadows pytest if this folder came first on sys.path before pytest was imported.
import os
import sys

sys.stderr.write("PYTEST-PY-RAN\n")
sys.stderr.flush()
os._exit(0)
