import { readFileSync } from 'node:fs';
import { join } from 'node:path';

/** The host programs under constructs/bastion-host/, read at synth and written by user data. */
export function hostFile(name: 'hipaa-kit-operators.sh' | 'hipaa-kit-session-hook.sh'): string {
  return readFileSync(join(__dirname, 'bastion-host', name), 'utf8');
}

const HEREDOC_END = 'HIPAA_KIT_FILE';

/** User-data lines that write `content` to `path` with `mode`, byte for byte (a quoted heredoc expands nothing). */
export function writeFileLines(path: string, content: string, mode: string): string[] {
  const body = content.endsWith('\n') ? content.slice(0, -1) : content;
  if (body.split('\n').includes(HEREDOC_END)) throw new Error(`${path}: content contains the heredoc end marker`);
  return [`cat > ${path} <<'${HEREDOC_END}'`, ...body.split('\n'), HEREDOC_END, `chmod ${mode} ${path}`];
}
