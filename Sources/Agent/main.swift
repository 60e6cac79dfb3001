import Shared
print("grille-agent")
