-- One database per subgraph: each service owns its data.
CREATE DATABASE users;
CREATE DATABASE products;
CREATE DATABASE carts;
CREATE DATABASE orders;
CREATE DATABASE notifications;
