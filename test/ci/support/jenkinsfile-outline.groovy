// Parses a Jenkinsfile with the Groovy compiler (a syntax error fails, naming line and
// column) and prints its outline: every method call, indented by nesting, with its
// string-literal arguments, then `def <name>` for each method the script defines.
import org.codehaus.groovy.ast.CodeVisitorSupport
import org.codehaus.groovy.ast.expr.ConstantExpression
import org.codehaus.groovy.ast.expr.MethodCallExpression
import org.codehaus.groovy.ast.expr.TupleExpression
import org.codehaus.groovy.control.CompilationUnit
import org.codehaus.groovy.control.Phases

class Outline extends CodeVisitorSupport {
    int depth = 0
    List<String> lines = []

    void visitMethodCallExpression(MethodCallExpression call) {
        def args = call.arguments instanceof TupleExpression ? call.arguments.expressions : [call.arguments]
        def strings = args.findAll { it instanceof ConstantExpression && it.value instanceof String }.collect { "'${it.value}'" }
        lines << ('  ' * depth) + ([call.methodAsString] + strings).join(' ')
        call.objectExpression.visit(this)
        depth++
        call.arguments.visit(this)
        depth--
    }
}

def unit = new CompilationUnit()
unit.addSource(new File(args[0]))
unit.compile(Phases.CONVERSION)
def module = unit.AST.modules[0]
def outline = new Outline()
module.statementBlock.visit(outline)
module.methods.each { method ->
    outline.lines << "def ${method.name}"
    outline.depth = 1
    method.code.visit(outline)
    outline.depth = 0
}
println outline.lines.join('\n')
