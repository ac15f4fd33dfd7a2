# Shadows the agent's own protocol.py if the agent imported it after this folder went on sys.path.
import os
import sys

sys.stderr.write("AGENT-PROTOCOL-SHADOW-RAN\n")
sys.stderr.flush()
os._exit(0)
