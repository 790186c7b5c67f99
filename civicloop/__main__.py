"""`python -m civicloop …` is `civicloop …`."""
from civicloop.cli import main

main()
