# Prints Puppet's own parse tree for each manifest named on stdin, one per line:
#   FILE <TAB> OK|SYNTAX-ERROR <TAB> dump (whitespace collapsed) or the error message
# Used by oracle-diff.py to compare puppet-preflight's trees with Puppet's.
require 'puppet'
require 'puppet/pops'
require 'tmpdir'
scratch = Dir.mktmpdir('puppet-oracle')
Puppet.initialize_settings(['--confdir', "#{scratch}/conf", '--vardir', "#{scratch}/var", '--codedir', "#{scratch}/code"])
env = Puppet::Node::Environment.create(:testing, [])
loaders = Puppet::Pops::Loaders.new(env)
Puppet.override(:loaders => loaders, :current_environment => env) do
  $stdin.each_line do |line|
    path = line.chomp
    next if path.empty?
    begin
      src = File.read(path, :encoding => 'UTF-8')
      model = Puppet::Pops::Parser::EvaluatingParser.new.parser.parse_string(src, path)
      dump = Puppet::Pops::Model::ModelTreeDumper.new.dump(model) rescue '(dump failed)'
      puts "#{path}\tOK\t#{dump.gsub(/\s+/, ' ')}"
    rescue Puppet::ParseError, Puppet::Error, ArgumentError => e
      puts "#{path}\tSYNTAX-ERROR\t#{e.message.lines.first.to_s.strip}"
    end
  end
end
