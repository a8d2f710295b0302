# Puppet itself as the reference parser: prints Puppet's own parse tree (its
# ModelTreeDumper s-expression, whitespace collapsed) or its syntax error.
#
#   ruby oracle-dump.rb < LIST          one manifest path per line on stdin; prints
#                                       FILE <TAB> OK|SYNTAX-ERROR <TAB> tree or message
#   ruby oracle-dump.rb --snippets FILE snippets separated by lines '----'; prints, per
#                                       snippet, '=== #N OK' or '=== #N SYNTAX-ERROR: msg'
#                                       then '>>> tree'
# Set TASKS=1 for Bolt's tasks mode. Only syntax is checked (no validation), so that the
# result is comparable with `puppet-preflight parse`. Used by oracle-diff.py,
# make-trees.py and fuzz-oracle.py; needs the puppet gem (Debian: puppet-agent/puppet).
require 'puppet'
require 'puppet/pops'
require 'tmpdir'

scratch = Dir.mktmpdir('preflight-oracle')
Puppet.initialize_settings(['--confdir', "#{scratch}/conf", '--vardir', "#{scratch}/var",
                            '--codedir', "#{scratch}/code"])
Puppet[:tasks] = (ENV['TASKS'] == '1')

def tree_of(source, name)
  model = Puppet::Pops::Parser::EvaluatingParser.new.parser.parse_string(source, name)
  dump = Puppet::Pops::Model::ModelTreeDumper.new.dump(model) rescue '(dump failed)'
  [:ok, dump.gsub(/\s+/, ' ')]
rescue StandardError => e
  [:error, e.message.lines.first.to_s.strip]
end

env = Puppet::Node::Environment.create(:oracle, [])
Puppet.override(:loaders => Puppet::Pops::Loaders.new(env), :current_environment => env) do
  if ARGV[0] == '--snippets'
    File.read(ARGV[1], :encoding => 'UTF-8').split(/^----.*\n/).each_with_index do |snippet, i|
      next if snippet.strip.empty?
      status, text = tree_of(snippet, 'snippet.pp')
      if status == :ok
        puts "=== ##{i} OK\n>>> #{text}"
      else
        puts "=== ##{i} SYNTAX-ERROR: #{text}"
      end
      $stdout.flush
    end
  else
    $stdin.each_line do |line|
      path = line.chomp
      next if path.empty?
      status, text = tree_of(File.read(path, :encoding => 'UTF-8'), path)
      puts "#{path}\t#{status == :ok ? 'OK' : 'SYNTAX-ERROR'}\t#{text}"
    end
  end
end
