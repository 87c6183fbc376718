"""pslint: a static check of the kit's PowerShell for traps a real Windows host springs.

The lab cannot run PowerShell, so a mistake about how PowerShell or Windows behaves can
hide in a module and in its lab model alike. Each rule in `tests.pslint.rules` is one such
trap, found in this kit, read from the tree-sitter parse of the script.
"""
