"""inferplan: the command-line shell over spec, sizing and components."""
