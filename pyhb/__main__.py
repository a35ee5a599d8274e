"""``python -m pyhb`` runs the heartbeat daemon command line."""

import sys

from pyhb.cli.heartbeat import main

sys.exit(main())
