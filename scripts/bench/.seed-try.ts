import { prepareBenchDatabase } from "./seed";
const users = Number(process.argv[2]), events = Number(process.argv[3]);
const s = await prepareBenchDatabase({ scale: { users, events }, signers: 3000, postgresUrl: process.env.PGURL || undefined });
console.log(s.reader.email, s.signers.length, s.databaseUrl);
