-- A topologies/ folder holds topologies: never collected as a scenario.
return { nodes = {}, links = {} }
