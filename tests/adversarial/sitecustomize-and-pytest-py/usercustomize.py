# Imported at interpreter start-up if this folder were a site directory or on PYTHONPATH.
import os
import sys

sys.stderr.write("USERCUSTOMIZE-RAN\n")
sys.stderr.flush()
os._exit(0)
