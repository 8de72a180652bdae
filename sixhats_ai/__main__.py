from sixhats_ai.cli import main

main()
