from vaslayout.cli import main

raise SystemExit(main())
