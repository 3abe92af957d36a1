from reelboard.cli import main

main()
