// The Compose MongoDB's healthcheck (docker-compose.yml): on first start it
// initiates the one-member replica set rs0, then reports healthy once this
// member is primary, so the services start against a writable primary.
try {
  rs.status();
} catch (e) {
  if (e.codeName !== "NotYetInitialized") throw e;
  rs.initiate({ _id: "rs0", members: [{ _id: 0, host: "mongodb:27017" }] });
}
if (!db.hello().isWritablePrimary) quit(1);
