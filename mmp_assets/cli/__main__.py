import sys

from mmp_assets.cli.main import main

sys.exit(main())
