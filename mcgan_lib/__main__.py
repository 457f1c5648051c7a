import sys

from mcgan_lib.cli import main

sys.exit(main())
