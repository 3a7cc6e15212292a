-- One database per subgraph: each service owns its data.
CREATE DATABASE users;
CREATE DATABASE products;
CREATE DATABASE carts;
