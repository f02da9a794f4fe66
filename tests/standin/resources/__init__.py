"""Model resources of the emulated /api/v3/, one module per authentik viewset family."""

from .admin import Admin
from .applications import Applications
from .brands import Brands
from .flows import Flows
from .groups import Groups
from .keypairs import KeyPairs
from .mappings import AllMappings, ScopeMappings
from .policies import AllPolicies, ExpressionPolicies, PolicyBindings
from .providers import AllProviders, OAuth2Providers
from .tokens import Tokens
from .users import Users

# Registration order is URL matching order (actions before detail routes within a resource).
RESOURCES = (Admin, KeyPairs, Flows, ScopeMappings, AllMappings, OAuth2Providers, AllProviders, Applications, Users, Groups, Tokens,
             ExpressionPolicies, AllPolicies, PolicyBindings, Brands)

__all__ = ["RESOURCES"]
