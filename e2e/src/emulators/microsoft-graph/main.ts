// Runs the Microsoft Graph emulator on its own:
//   tsx e2e/src/emulators/microsoft-graph/main.ts [--port 8790] [--users 300] [--b2c] [--seed demo]
// and prints the connection settings to paste into a Microsoft Graph connection.
import { startGraphEmulator } from './index.js';

const args = process.argv.slice(2);
const option = (name: string) => {
  const index = args.indexOf(`--${name}`);
  return index >= 0 ? args[index + 1] : undefined;
};

const emulator = await startGraphEmulator({
  port: Number(option('port') ?? 8790),
  users: Number(option('users') ?? 300),
  seed: option('seed') ?? 'demo',
  b2c: args.includes('--b2c'),
});
process.stdout.write(
  `${JSON.stringify(
    {
      msg: 'Microsoft Graph emulator listening',
      url: emulator.url,
      tenantId: emulator.tenantId,
      clientId: emulator.clientId,
      clientSecret: emulator.clientSecret,
      authorityUrl: emulator.authorityUrl,
      graphUrl: emulator.graphUrl,
      users: emulator.directory.userCount,
    },
    null,
    2,
  )}\n`,
);
const stop = () => void emulator.close().then(() => process.exit(0));
process.on('SIGINT', stop);
process.on('SIGTERM', stop);
