DROP TABLE blocked_domains;
DROP TABLE api_tokens;
DROP TABLE users;
DROP TABLE organization_domains;
DROP TABLE organizations;
