from senforms.cli import main

main()
