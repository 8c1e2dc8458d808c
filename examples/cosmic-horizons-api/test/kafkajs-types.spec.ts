// The seed's kafkajs KafkaService (src/app/modules/events/legacy) type-checks against the facade
// as it does against kafkajs 2's own types: compiled once importing
// '@cosmic-horizons/kafka-native/kafkajs' and once importing 'kafkajs', with this project's
// strict options. The seed has errors of its own under kafkajs: an implicit `any` (line 52),
// `compression` in producer() options, which kafkajs' ProducerConfig lacks (line 67), and `name`
// where kafkajs' ITopicConfig wants `topic` (line 146). The facade reports the same, except line
// 67: it accepts a producer-level `compression` (and applies it).

import * as fs from 'fs';
import * as path from 'path';
import * as ts from 'typescript';

const file = path.resolve(__dirname, '../src/app/modules/events/legacy/kafka.service.ts');
const FACADE = "'@cosmic-horizons/kafka-native/kafkajs'";

function diagnostics(source: string): string[] {
  const config = ts.getParsedCommandLineOfConfigFile(path.resolve(__dirname, '../tsconfig.json'), {}, {
    ...ts.sys,
    onUnRecoverableConfigFileDiagnostic: (d) => {
      throw new Error(ts.flattenDiagnosticMessageText(d.messageText, '\n'));
    },
  });
  if (!config) throw new Error('no tsconfig');
  const host = ts.createCompilerHost(config.options);
  const read = host.readFile.bind(host);
  host.readFile = (name) => (path.resolve(name) === file ? source : read(name));
  const program = ts.createProgram([file], { ...config.options, noEmit: true }, host);
  return ts
    .getPreEmitDiagnostics(program)
    .filter((d) => d.file && path.resolve(d.file.fileName) === file)
    .map((d) => `${d.file!.getLineAndCharacterOfPosition(d.start ?? 0).line + 1}: TS${d.code}`);
}

test('the seed compiles against the facade as it does against kafkajs', () => {
  const ported = fs.readFileSync(file, 'utf8');
  expect(ported).toContain(FACADE);
  const original = ported.replace(FACADE, "'kafkajs'");
  const withFacade = diagnostics(ported);
  const withKafkajs = diagnostics(original);
  expect(withKafkajs).toEqual(['52: TS7006', '67: TS2353', '146: TS2322']);
  expect(withFacade).toEqual(withKafkajs.filter((d) => !d.startsWith('67:')));
});
