from awsprov.cli.app import main

main()
