from cadrectl.cli import main

main()
