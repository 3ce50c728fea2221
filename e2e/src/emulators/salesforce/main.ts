// Runs the Salesforce emulator on its own, as a labelled demo org:
//   npx tsx e2e/src/emulators/salesforce/main.ts [--port 8791] [--contacts 300]
// and prints the connection settings to paste into a Salesforce connection.
import { startDemoOrg } from './demo.js';
import { connectionSettings } from './stack.js';

const args = process.argv.slice(2);
const option = (name: string) => {
  const index = args.indexOf(`--${name}`);
  return index >= 0 ? args[index + 1] : undefined;
};

const demo = await startDemoOrg({
  port: option('port') ? Number(option('port')) : undefined,
  contacts: option('contacts') ? Number(option('contacts')) : undefined,
});
process.stdout.write(
  `${JSON.stringify(
    {
      msg: 'Salesforce emulator listening (emulated Salesforce, not a real org)',
      url: demo.emulator.url,
      contacts: demo.emulator.org.count('Contact'),
      settings: connectionSettings(demo.emulator),
    },
    null,
    2,
  )}\n${demo.lines.join('\n')}\n`,
);
const stop = () => void demo.stop().then(() => process.exit(0));
process.on('SIGINT', stop);
process.on('SIGTERM', stop);
