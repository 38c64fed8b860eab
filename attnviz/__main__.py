"""`python -m attnviz ...` is the `attnviz` command; torchrun starts it so: `torchrun ... -m attnviz`."""

import sys

from attnviz.cli import main

sys.exit(main())
