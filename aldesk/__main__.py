from aldesk.cli import main

raise SystemExit(main())
