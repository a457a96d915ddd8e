from mktint.cli import main

main()
