import Shared
print("grille-server")
